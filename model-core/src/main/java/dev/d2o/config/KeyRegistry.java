package dev.d2o.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The keys of one configuration in the order they are declared. A class declares each key through
 * {@link #add} as it initializes its constants, so the list of all keys is built from the
 * declarations themselves rather than kept by hand beside them.
 */
public final class KeyRegistry {
  private final List<Key<?>> keys = new ArrayList<>();

  /** Registers {@code key} and returns it; a second key of the same name is a programming error. */
  public synchronized <T> Key<T> add(Key<T> key) {
    if (find(key.name()).isPresent()) {
      throw new IllegalStateException("configuration key declared twice: " + key.name());
    }
    keys.add(key);
    return key;
  }

  /** Registers every key of {@code more}, in order, and returns them. */
  public List<Key<?>> addAll(Collection<? extends Key<?>> more) {
    more.forEach(this::add);
    return List.copyOf(more);
  }

  /** Every key registered so far, in declaration order. */
  public synchronized List<Key<?>> all() {
    return List.copyOf(keys);
  }

  /** The key named {@code name}. */
  public synchronized Optional<Key<?>> find(String name) {
    return keys.stream().filter(k -> k.name().equals(name)).findFirst();
  }

  /** The registered key name closest to {@code name} (case-insensitive edit distance). */
  public synchronized String nearest(String name) {
    return Spelling.nearest(name, keys.stream().map(Key::name).toList(), true);
  }
}
