package dev.d2o.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * Jinjava configured as Hugging Face configures jinja2 for chat templates ({@code
 * _compile_jinja_template} in transformers' {@code utils/chat_template_utils.py}): {@code
 * trim_blocks} and {@code lstrip_blocks} on ({@link LstripBlocks}), the loop-controls extension
 * ({@code break}, {@code continue}: built into Jinjava), a {@code tojson} filter that is Python's
 * {@code json.dumps} with {@code ensure_ascii=False}, and the {@code raise_exception(msg)} and
 * {@code strftime_now(fmt)} globals; plus what jinja2 has and Jinjava lacks: Python's {@code
 * str}/{@code dict} methods and {@code trim} with Python's whitespace set.
 */
final class JinjaEnvironment {
  private JinjaEnvironment() {}

  /** A Jinjava whose {@code strftime_now} reads {@code clock}. */
  static Jinjava create(Clock clock) {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyMethods()); // first: Python's methods before Java's of the same name
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            // lstrip_blocks is applied to the source by LstripBlocks: Jinjava's differs from
            // jinja2's
            .withLstripBlocks(false)
            .withElResolver(resolver)
            .withTimeZone(clock.getZone())
            .withDateTimeProvider(clock::millis)
            .withLegacyOverrides(
                LegacyOverrides.newBuilder()
                    .withEvaluateMapKeys(true)
                    .withUseNaturalOperatorPrecedence(true)
                    .withParseWhitespaceControlStrictly(true)
                    .withUseTrimmingForNotesAndExpressions(true)
                    .withKeepNullableLoopValues(true)
                    .build())
            .build();
    Jinjava jinjava = new Jinjava(config);
    var global = jinjava.getGlobalContext();
    global.registerFilter(new ToJson());
    global.registerFilter(new Trim());
    global.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", JinjaEnvironment.class, "raiseException", String.class));
    global.registerFunction(
        new ELFunctionDefinition(
            "", "strftime_now", JinjaEnvironment.class, "strftimeNow", String.class));
    return jinjava;
  }

  /** A template's {@code raise_exception(msg)}: jinja2's TemplateError, carried out of Jinjava. */
  static final class Raised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Raised(String message) {
      super(message);
    }
  }

  /** {@code raise_exception(message)}. Public: Jinjava calls it by reflection. */
  public static String raiseException(String message) {
    throw new Raised(message);
  }

  /** {@code strftime_now(format)}: now on the environment's clock, formatted like Python's. */
  public static String strftimeNow(String format) {
    JinjavaConfig config = JinjavaInterpreter.getCurrent().getConfig();
    Instant now = Instant.ofEpochMilli(config.getDateTimeProvider().getCurrentTimeMillis());
    return StrftimeFormatter.toDateTimeFormatter(format)
        .withLocale(Locale.ENGLISH) // Python's default C locale: English day and month names
        .format(ZonedDateTime.ofInstant(now, config.getTimeZone()));
  }

  /** {@code tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}. */
  static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
      Object separators = kwargs.get("separators");
      Object sortKeys = kwargs.getOrDefault("sort_keys", Boolean.FALSE);
      List<String> seps = null;
      if (separators instanceof List<?> l && l.size() == 2) {
        seps = List.of(String.valueOf(l.get(0)), String.valueOf(l.get(1)));
      }
      Integer ind = indent == null ? null : ((Number) indent).intValue();
      return new PyJson(ind, seps, Boolean.TRUE.equals(sortKeys)).dumps(var);
    }
  }

  /** jinja2's {@code trim(value, chars=None)}: Python's {@code str.strip}. */
  static final class Trim implements Filter {
    @Override
    public String getName() {
      return "trim";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      String chars = args.length > 0 ? args[0] : null;
      return var == null ? "" : PyStrings.strip(String.valueOf(var), chars, true, true);
    }
  }
}
