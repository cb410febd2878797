package io.kompakt.engine.model;

import io.kompakt.schema.tflite.TfliteLayout;

/**
 * An operator code: a builtin op (by its BuiltinOperator value) or a custom op (by name), and its version.
 *
 * @param builtinCode the effective builtin code: the larger of {@code builtin_code} and
 *     {@code deprecated_builtin_code}, as TFLite reads it
 * @param customCode the custom op's name (CUSTOM only), else null
 */
public record OpCode(int builtinCode, String customCode, int version) {
  /** BuiltinOperator.CUSTOM. */
  public static final int CUSTOM = 32;

  public static OpCode builtin(String name) { return builtin(builtinCodeOf(name), 1); }

  public static OpCode builtin(int code, int version) { return new OpCode(code, null, version); }

  public static OpCode custom(String name) { return new OpCode(CUSTOM, name, 1); }

  public boolean isCustom() { return builtinCode == CUSTOM; }

  /** The builtin's schema name (CONV_2D), the custom op's name, or BUILTIN_n for a code this schema lacks. */
  public String name() {
    if (isCustom()) return customCode == null ? "CUSTOM" : customCode;
    String n = TfliteLayout.LAYOUT.enumType("BuiltinOperator").names().get((long) builtinCode);
    return n != null ? n : "BUILTIN_" + builtinCode;
  }

  /** Whether this schema knows the builtin code. */
  public boolean isKnownBuiltin() {
    return TfliteLayout.LAYOUT.enumType("BuiltinOperator").names().containsKey((long) builtinCode);
  }

  /** The BuiltinOperator value of a schema name. */
  public static int builtinCodeOf(String name) {
    for (var e : TfliteLayout.LAYOUT.enumType("BuiltinOperator").names().entrySet()) {
      if (e.getValue().equals(name)) return (int) (long) e.getKey();
    }
    throw new IllegalArgumentException("no builtin operator " + name);
  }

  @Override
  public String toString() { return name() + (version > 1 ? " v" + version : ""); }
}
