package dev.d2o.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} and {@code dict} methods chat templates call ({@code content.strip()},
 * {@code role.startswith('u')}, {@code d.items()}, {@code d.get(k, default)}), with Python's
 * semantics. Jinjava would otherwise call Java's methods of the same name ({@code String.split}
 * takes a regex, {@code String.strip} another whitespace set) or find none. Resolved before
 * Jinjava's own resolvers; anything else falls through to them.
 */
final class PyMethods extends ELResolver {
  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (method == null) {
      return null;
    }
    String name = method.toString();
    Object[] args = params == null ? new Object[0] : params;
    Object result;
    if (base instanceof String s) {
      result = PyStrings.call(s, name, args);
    } else if (base instanceof Map<?, ?> m) {
      result = dictMethod(m, name, args);
    } else {
      return null;
    }
    if (result != PyStrings.NOT_HANDLED) {
      context.setPropertyResolved(true);
      return result;
    }
    return null;
  }

  private static Object dictMethod(Map<?, ?> m, String name, Object[] args) {
    switch (name) {
      case "items" -> {
        if (args.length == 0) {
          List<List<Object>> items = new ArrayList<>();
          m.forEach((k, v) -> items.add(Arrays.asList(k, v)));
          return items;
        }
      }
      case "keys" -> {
        if (args.length == 0) {
          return new ArrayList<>(m.keySet());
        }
      }
      case "values" -> {
        if (args.length == 0) {
          return new ArrayList<>(m.values());
        }
      }
      case "get" -> {
        if (args.length == 1 || args.length == 2) {
          Object fallback = args.length == 2 ? args[1] : null;
          return m.containsKey(args[0]) ? m.get(args[0]) : fallback;
        }
      }
      default -> {
        return PyStrings.NOT_HANDLED;
      }
    }
    return PyStrings.NOT_HANDLED;
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
