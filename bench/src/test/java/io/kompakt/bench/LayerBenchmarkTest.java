package io.kompakt.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LayerBenchmarkTest {
  private static EditableModel.Subgraph graph(String name) { return LayerBenchmark.floatLayer(name).subgraphs.get(0); }

  @Test
  void namesBecomeOneOpModelsOfThatShape() {
    EditableModel.Subgraph g = graph("conv3x3s2-224x224x3-32");
    assertEquals(1, g.operators.size());
    assertEquals("CONV_2D", g.operators.get(0).opCode.name());
    assertArrayEquals(new int[] {1, 224, 224, 3}, g.inputs.get(0).shape);
    assertArrayEquals(new int[] {1, 112, 112, 32}, g.outputs.get(0).shape); // SAME, stride 2
    assertArrayEquals(new int[] {1, 56, 56, 24}, graph("conv1x1-56x56x96-24").outputs.get(0).shape); // stride 1 when absent
    g = graph("dw3x3s2-112x112x96");
    assertEquals("DEPTHWISE_CONV_2D", g.operators.get(0).opCode.name());
    assertArrayEquals(new int[] {1, 56, 56, 96}, g.outputs.get(0).shape);
    g = graph("fc-1280-1001");
    assertEquals("FULLY_CONNECTED", g.operators.get(0).opCode.name());
    assertArrayEquals(new int[] {1, 1001}, g.outputs.get(0).shape);
  }

  @Test
  void everyListedLayerIsValidAndListedOnce() throws Exception {
    String[] listed = LayerBenchmark.class.getField("layer").getAnnotation(org.openjdk.jmh.annotations.Param.class).value();
    assertTrue(listed.length > 40, "V1 and V2 shapes: " + listed.length);
    assertEquals(listed.length, Arrays.stream(listed).distinct().count(), "a shape listed twice");
    for (String name : listed) assertEquals(1, graph(name).operators.size(), name);
  }

  @Test
  void aBadNameSaysWhatIsExpected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerBenchmark.floatLayer("conv3x5-9x9x3-8"));
    assertTrue(e.getMessage().contains("conv{K}x{K}"), e.getMessage());
  }
}
