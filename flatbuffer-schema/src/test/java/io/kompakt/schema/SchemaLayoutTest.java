package io.kompakt.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.schema.tflite.TfliteLayout;
import org.junit.jupiter.api.Test;

/** The layout agrees with the generated classes (field ids are the vtable slots flatc uses). */
class SchemaLayoutTest {
  @Test
  void tensorFieldsHaveTheIdsOfTheGeneratedAccessors() {
    SchemaLayout.Table t = TfliteLayout.LAYOUT.table("Tensor");
    assertEquals(4, t.field("shape").vtableOffset());
    assertEquals(6, t.field("type").vtableOffset());
    assertEquals(12, t.field("quantization").vtableOffset());
    assertEquals(18, t.field("shape_signature").vtableOffset());
    assertTrue(t.field("type").type().isEnum());
    assertTrue(t.field("shape").type().vector());
  }

  @Test
  void unionsTakeTwoSlots() {
    SchemaLayout.Table op = TfliteLayout.LAYOUT.table("Operator");
    // builtin_options_type at slot 3 (offset 10), builtin_options at slot 4 (offset 12): as in Operator.java
    assertEquals(10, op.field("builtin_options_type").vtableOffset());
    assertEquals(12, op.field("builtin_options").vtableOffset());
    assertEquals(1, TfliteLayout.LAYOUT.union("BuiltinOptions").indexOf("Conv2DOptions"));
    assertEquals("TFL3", TfliteLayout.LAYOUT.fileIdentifier());
  }

  @Test
  void defaultsAndEnumsAreResolved() {
    SchemaLayout.Field dil = TfliteLayout.LAYOUT.table("Conv2DOptions").field("dilation_w_factor");
    assertEquals(1, dil.defaultLong());
    assertEquals("CONV_2D", TfliteLayout.LAYOUT.enumType("BuiltinOperator").nameOf(3));
    assertFalse(TfliteLayout.LAYOUT.table("Conv2DOptions").field("padding").deprecated());
  }
}
