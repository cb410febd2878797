package io.kompakt.ops.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND. */
class SpaceBatchTest {
  private static RuntimeTensor s2b(int[] shape, float[] x, int[] block, int[] pads) {
    return OpTester.op("SPACE_TO_BATCH_ND").input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {block.length}, block).constant(TensorType.INT32, new int[] {block.length, 2}, pads)
        .output(TensorType.FLOAT32).run().getOutputTensor(0);
  }

  private static RuntimeTensor b2s(int[] shape, float[] x, int[] block, int[] crops) {
    return OpTester.op("BATCH_TO_SPACE_ND").input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {block.length}, block).constant(TensorType.INT32, new int[] {block.length, 2}, crops)
        .output(TensorType.FLOAT32).run().getOutputTensor(0);
  }

  @Test
  void spaceToBatchOfTensorFlowsDocumentedExamples() {
    // [1,2,2,1] block [2,2] -> [4,1,1,1]: [[[[1]]], [[[2]]], [[[3]]], [[[4]]]]
    RuntimeTensor y = s2b(new int[] {1, 2, 2, 1}, new float[] {1, 2, 3, 4}, new int[] {2, 2}, new int[] {0, 0, 0, 0});
    assertArrayEquals(new int[] {4, 1, 1, 1}, y.shape);
    assertArrayEquals(new float[] {1, 2, 3, 4}, OpTester.floats(y));
    // [1,4,4,1] block [2,2] -> [4,2,2,1]: batch 0 takes the even rows and columns
    float[] x = new float[16];
    for (int i = 0; i < 16; i++) x[i] = i + 1;
    RuntimeTensor z = s2b(new int[] {1, 4, 4, 1}, x, new int[] {2, 2}, new int[] {0, 0, 0, 0});
    assertArrayEquals(new int[] {4, 2, 2, 1}, z.shape);
    assertArrayEquals(new float[] {1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16}, OpTester.floats(z));
  }

  @Test
  void spaceToBatchPadsWithZerosAndTheZeroPoint() {
    // [1,1,2,1] padded by 1 on top and 1 on the right -> padded 2x3... block [2,1]: out [2,1,3,1]
    RuntimeTensor y = s2b(new int[] {1, 1, 2, 1}, new float[] {5, 6}, new int[] {2, 1}, new int[] {1, 0, 0, 1});
    assertArrayEquals(new int[] {2, 1, 3, 1}, y.shape);
    assertArrayEquals(new float[] {0, 0, 0, 5, 6, 0}, OpTester.floats(y));
    io.kompakt.engine.model.Quantization q = io.kompakt.engine.model.Quantization.perTensor(1f, 7);
    OpTester t = OpTester.op("SPACE_TO_BATCH_ND").input(TensorType.UINT8, new int[] {1, 1, 2}, new byte[] {1, 2}, q)
        .constant(TensorType.INT32, new int[] {1}, new int[] {2}).constant(TensorType.INT32, new int[] {1, 2}, new int[] {0, 1})
        .output(TensorType.UINT8, new int[0], q);
    RuntimeTensor z = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 1, 2}, z.shape); // 3-D NHC: padded H 2, block 2
    assertArrayEquals(new int[] {1, 2, 7, 7}, OpTester.ints(z));
  }

  @Test
  void batchToSpaceCropsAsDocumented() {
    // [4,1,1,1] block [2,2] -> [1,2,2,1]
    RuntimeTensor y = b2s(new int[] {4, 1, 1, 1}, new float[] {1, 2, 3, 4}, new int[] {2, 2}, new int[] {0, 0, 0, 0});
    assertArrayEquals(new int[] {1, 2, 2, 1}, y.shape);
    assertArrayEquals(new float[] {1, 2, 3, 4}, OpTester.floats(y));
    // [4,1,2,1] block [2,2], crop 1 column on the left -> [1,2,3,1]
    RuntimeTensor z = b2s(new int[] {4, 1, 2, 1}, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {2, 2}, new int[] {0, 0, 1, 0});
    assertArrayEquals(new int[] {1, 2, 3, 1}, z.shape);
    // uncropped rows: [1 3 2 4] and [5 7 6 8]
    assertArrayEquals(new float[] {3, 2, 4, 7, 6, 8}, OpTester.floats(z));
  }

  @Test
  void refusesUnevenBlocksAndRuntimeBlockShapes() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
        () -> s2b(new int[] {1, 3, 2, 1}, new float[6], new int[] {2, 2}, new int[] {0, 0, 0, 0}));
    assertTrue(e.getMessage().contains("SPACE_TO_BATCH_ND") && e.getMessage().contains("multiple"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> b2s(new int[] {3, 1, 1, 1}, new float[3], new int[] {2, 1}, new int[] {0, 0, 0, 0}));
    assertTrue(e.getMessage().contains("BATCH_TO_SPACE_ND") && e.getMessage().contains("multiple"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("SPACE_TO_BATCH_ND")
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, new float[4]).input(TensorType.INT32, new int[] {2}, new int[] {2, 2})
        .constant(TensorType.INT32, new int[] {2, 2}, new int[4]).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("must be constant"), e.getMessage());
  }

  /** The dilated-convolution pattern: SPACE_TO_BATCH_ND, then BATCH_TO_SPACE_ND with crops = paddings, is the identity. */
  @Property(tries = 60)
  void spaceToBatchThenBatchToSpaceIsIdentity(@ForAll long seed) {
    Random r = new Random(seed);
    int bh = 1 + r.nextInt(3), bw = 1 + r.nextInt(3);
    int n = 1 + r.nextInt(2), h = 1 + r.nextInt(5), w = 1 + r.nextInt(5), c = 1 + r.nextInt(3);
    int top = r.nextInt(3), left = r.nextInt(3);
    int bottom = (bh - (h + top) % bh) % bh + bh * r.nextInt(2), right = (bw - (w + left) % bw) % bw;
    int[] shape = {n, h, w, c}, pads = {top, bottom, left, right};
    float[] x = new float[n * h * w * c];
    for (int i = 0; i < x.length; i++) x[i] = i + 1;
    RuntimeTensor y = s2b(shape, x, new int[] {bh, bw}, pads);
    assertArrayEquals(new int[] {n * bh * bw, (h + top + bottom) / bh, (w + left + right) / bw, c}, y.shape);
    // each output element is the padded input at the documented position
    float[] v = OpTester.floats(y);
    int oh = y.shape[1], ow = y.shape[2];
    for (int b = 0; b < y.shape[0]; b++) {
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          for (int k = 0; k < c; k++) {
            int inB = b % n, sh = b / n / bw, sw = b / n % bw, ih = i * bh + sh - top, iw = j * bw + sw - left;
            float expected = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((inB * h + ih) * w + iw) * c + k] : 0;
            assertArrayEquals(new float[] {expected}, new float[] {v[((b * oh + i) * ow + j) * c + k]});
          }
        }
      }
    }
    RuntimeTensor back = b2s(y.shape, v, new int[] {bh, bw}, pads);
    assertArrayEquals(shape, back.shape);
    assertArrayEquals(x, OpTester.floats(back));
  }
}
