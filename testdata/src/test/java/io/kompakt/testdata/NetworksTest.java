package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelInfo;
import org.junit.jupiter.api.Test;

/** The builders make the architectures they name, the same bytes for the same seed. */
class NetworksTest {
  @Test
  void mobileNetV1HasItsLayersAndParameterCount() {
    Model m = Model.from(ModelWriter.toBytes(Networks.mobileNetV1(1.0, 224, 1001, 1)));
    ModelInfo.Summary s = ModelInfo.of(m);
    assertEquals(15, s.opSet().get("CONV_2D"));
    assertEquals(13, s.opSet().get("DEPTHWISE_CONV_2D"));
    // conv 3x3x3x32+32, then per block 9*Cin+Cin (depthwise) + Cin*Cout+Cout (pointwise), classifier 1024*1001+1001
    long expected = 3 * 3 * 3 * 32 + 32;
    int[][] blocks = {{32, 64}, {64, 128}, {128, 128}, {128, 256}, {256, 256}, {256, 512}, {512, 512}, {512, 512},
        {512, 512}, {512, 512}, {512, 512}, {512, 1024}, {1024, 1024}};
    for (int[] b : blocks) expected += 9L * b[0] + b[0] + (long) b[0] * b[1] + b[1];
    expected += 1024L * 1001 + 1001;
    assertEquals(4_222_057, expected);
    // plus the MEAN axes and RESHAPE shape constants (2 + 2 int32)
    assertEquals(expected + 4, s.parameters());
    assertArrayEquals(new int[] {1, 7, 7, 1024}, m.mainSubgraph().tensors().stream()
        .filter(t -> t.name().equals("conv_26")).findFirst().orElseThrow().shape());
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() {
    byte[] a = ModelWriter.toBytes(Networks.fashionMnistCnn(3));
    assertArrayEquals(a, ModelWriter.toBytes(Networks.fashionMnistCnn(3)));
    assertEquals(a.length, ModelWriter.toBytes(Networks.fashionMnistCnn(4)).length);
    org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(a, ModelWriter.toBytes(Networks.fashionMnistCnn(4))));
  }

  @Test
  void unknownNetworkListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Networks.byName("resnet", 1));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("mobilenet_v1_0.25_96"));
  }
}
