package dev.d2o.spark.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The content of a run directory's lock file: who holds the lease (host, process, Spark application
 * and attempt), a token that is new for every holder, and a renewal counter that the holder's
 * heartbeat increases. A watcher sees a live holder as a change of (token, renewals).
 *
 * @param owner the holder
 * @param token this holder's unique token
 * @param renewals heartbeats so far
 * @param since when the holder took the lease (for people reading the file)
 * @param raw the file's text when it could not be parsed (an older or a damaged lock), else null
 */
record LeaseRecord(RunLease.Owner owner, String token, long renewals, String since, String raw) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A new holder's record. */
  static LeaseRecord fresh(RunLease.Owner owner) {
    return new LeaseRecord(owner, UUID.randomUUID().toString(), 0, Instant.now().toString(), null);
  }

  /** This record after one more heartbeat. */
  LeaseRecord renewed() {
    return new LeaseRecord(owner, token, renewals + 1, since, null);
  }

  /** Whether {@code other} is this record unchanged: the same holder, not renewed since. */
  boolean sameAs(LeaseRecord other) {
    return other != null
        && Objects.equals(token, other.token)
        && renewals == other.renewals
        && Objects.equals(raw, other.raw);
  }

  /** Whether {@code other} is held by the same holder (renewed or not). */
  boolean sameHolder(LeaseRecord other) {
    return other != null && raw == null && token.equals(other.token);
  }

  /** The holder in words, for messages and the log. */
  String describe() {
    if (raw != null && owner == null) {
      return "an unknown owner (unreadable lock: '" + raw.strip() + "')";
    }
    return owner.describe();
  }

  String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("host", owner.host()).put("pid", owner.pid());
    if (owner.application() != null) {
      n.put("application", owner.application());
    }
    if (owner.attempt() != null) {
      n.put("attempt", owner.attempt());
    }
    n.put("token", token).put("renewals", renewals).put("since", since);
    return n.toString() + "\n";
  }

  /**
   * Parses a lock file's text; null when it is incomplete (being rewritten): the caller reads it
   * again. A lock of an older version ({@code pid@host}) or a damaged one becomes a record with
   * {@code raw} set (its holder cannot renew it, so it expires).
   */
  static LeaseRecord parse(String text, boolean last) {
    String t = text.strip();
    if (t.startsWith("{")) {
      try {
        JsonNode n = JSON.readTree(t);
        if (n.hasNonNull("token") && n.hasNonNull("host")) {
          RunLease.Owner owner =
              new RunLease.Owner(
                  n.get("host").asText(),
                  n.path("pid").asLong(-1),
                  n.hasNonNull("application") ? n.get("application").asText() : null,
                  n.hasNonNull("attempt") ? n.get("attempt").asText() : null);
          return new LeaseRecord(
              owner,
              n.get("token").asText(),
              n.path("renewals").asLong(),
              n.path("since").asText(),
              null);
        }
      } catch (IOException e) {
        // incomplete JSON: being written, unless this was the last try
      }
    }
    if (!last && (t.isEmpty() || t.startsWith("{"))) {
      return null;
    }
    String[] old = t.split("@", 2); // the lock of earlier versions: pid@host
    RunLease.Owner owner =
        old.length == 2 && old[0].matches("[0-9]{1,18}")
            ? new RunLease.Owner(old[1], Long.parseLong(old[0]), null, null)
            : null;
    return new LeaseRecord(owner, "", 0, "", text);
  }
}
