package io.kompakt.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.Densifier;
import io.kompakt.engine.model.ModelFormatException;
import io.kompakt.engine.model.Sparsity;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link SparseEncoder} and {@link Densifier}: round trips, the converter's layout, hostile metadata. */
class SparseEncoderTest {
  static final TensorType[] TYPES = {TensorType.FLOAT32, TensorType.FLOAT16, TensorType.INT8, TensorType.INT32, TensorType.INT64};

  /** Random dense bytes with about {@code zeroPercent}% all-zero elements. */
  static ByteBuffer random(Random r, TensorType type, long n, int zeroPercent) {
    byte[] b = new byte[(int) n * type.size];
    for (int i = 0; i < n; i++) {
      if (r.nextInt(100) < zeroPercent) continue;
      boolean any = false;
      for (int k = 0; k < type.size; k++) { b[i * type.size + k] = (byte) r.nextInt(256); any |= b[i * type.size + k] != 0; }
      if (!any) b[i * type.size] = 1;
    }
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Property(tries = 300)
  void encodeThenDensifyGivesTheOriginalBytes(@ForAll @IntRange(min = 1, max = 4) int rank, @ForAll @IntRange(min = 0, max = 100) int zeroPercent,
                                              @ForAll @IntRange(min = 0, max = 4) int typeIndex, @ForAll long seed) {
    Random r = new Random(seed);
    TensorType type = TYPES[typeIndex];
    int[] shape = new int[rank], block = new int[rank];
    for (int i = 0; i < rank; i++) {
      int bs = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 1;
      block[i] = bs;
      shape[i] = bs * (r.nextInt(5) + (r.nextInt(8) == 0 ? 0 : 1));
    }
    long n = Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
    ByteBuffer dense = random(r, type, n, zeroPercent);
    SparseEncoder.Encoded e = SparseEncoder.encode(type, shape, dense.duplicate(), block);
    // the converter's layout: identity order, last original dimension CSR, dense block dimensions appended
    Sparsity s = e.sparsity();
    for (int i = 0; i < s.traversalOrder().length; i++) assertEquals(i, s.traversalOrder()[i]);
    for (int i = 0; i < s.dimensions().size(); i++) {
      assertEquals(i == rank - 1 ? Sparsity.Format.SPARSE_CSR : Sparsity.Format.DENSE, s.dimensions().get(i).format(), s.toString());
    }
    assertEquals(Arrays.stream(block).filter(b -> b != 1).count(), s.blockMap().length);
    byte[] back = Densifier.densify("t", type, shape, s, e.values());
    byte[] want = new byte[dense.remaining()];
    dense.duplicate().get(want);
    assertArrayEquals(want, back, s.toString());
  }

  @Test
  void fullyConnectedLayoutsAsTheConverterWritesThem() {
    // [2, 8]: row 0 has non-zeros at 1 and 6, row 1 at 4
    float[] w = new float[16];
    w[1] = 1; w[6] = 2; w[8 + 4] = 3;
    ByteBuffer d = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : w) d.putFloat(v);
    d.flip();
    SparseEncoder.Encoded e = SparseEncoder.encode(TensorType.FLOAT32, new int[] {2, 8}, d.duplicate(), null);
    assertEquals("order=[0, 1] dims=[dense(2), csr(3 nnz)]", e.sparsity().toString());
    assertArrayEquals(new int[] {0, 2, 3}, e.sparsity().dimensions().get(1).segments());
    assertArrayEquals(new int[] {1, 6, 4}, e.sparsity().dimensions().get(1).indices());
    assertEquals("Uint8Vector", e.sparsity().dimensions().get(1).indicesType());
    assertEquals(12, e.values().remaining());
    // 1x4 blocks: row 0 keeps blocks 0 and 1, row 1 block 1; the zeros inside kept blocks are stored
    SparseEncoder.Encoded b = SparseEncoder.encode(TensorType.FLOAT32, new int[] {2, 8}, d.duplicate(), new int[] {1, 4});
    assertEquals("order=[0, 1, 2] block_map=[1] dims=[dense(2), csr(3 nnz), dense(4)]", b.sparsity().toString());
    assertArrayEquals(new int[] {0, 2, 3}, b.sparsity().dimensions().get(1).segments());
    assertArrayEquals(new int[] {0, 1, 1}, b.sparsity().dimensions().get(1).indices());
    assertEquals(3 * 4 * 4, b.values().remaining());
    assertEquals("Uint16Vector", SparseEncoder.indexType(new int[] {3, 300}));
    assertEquals("Int32Vector", SparseEncoder.indexType(new int[] {70000}));
  }

  static Sparsity.Dimension dense(int n) { return new Sparsity.Dimension(Sparsity.Format.DENSE, n, new int[0], new int[0], null, null); }

  static Sparsity.Dimension csr(int[] seg, int[] idx) { return new Sparsity.Dimension(Sparsity.Format.SPARSE_CSR, 0, seg, idx, "Int32Vector", "Int32Vector"); }

  static ByteBuffer floats(int n) { return ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN); }

  @Test
  void hostileMetadataIsAFormatErrorNamingTheTensor() {
    int[] shape = {2, 8};
    List<Object[]> cases = new ArrayList<>();
    // index past the dimension
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1, 2}, new int[] {3, 8}))), floats(2)});
    // negative index
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1, 2}, new int[] {3, -1}))), floats(2)});
    // segments pointing past the indices
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1, 5}, new int[] {3, 4}))), floats(2)});
    // decreasing segments
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 2, 1}, new int[] {3}))), floats(1)});
    // too few segments for the parent positions
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1}, new int[] {3}))), floats(1)});
    // segments not starting at 0
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {1, 1, 2}, new int[] {3, 4}))), floats(1)});
    // too little data for the values
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1, 2}, new int[] {3, 4}))), floats(1)});
    // too much data
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), csr(new int[] {0, 1, 2}, new int[] {3, 4}))), floats(3)});
    // dense size differing from the dimension
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(3), dense(8))), floats(24)});
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2), dense(9))), floats(18)});
    // block size not dividing its dimension, block size 0, CSR block level
    cases.add(new Object[] {new Sparsity(new int[] {0, 1, 2}, new int[] {1}, List.of(dense(2), dense(3), dense(3))), floats(18)});
    cases.add(new Object[] {new Sparsity(new int[] {0, 1, 2}, new int[] {1}, List.of(dense(2), dense(8), dense(0))), floats(0)});
    cases.add(new Object[] {new Sparsity(new int[] {0, 1, 2}, new int[] {1}, List.of(dense(2), dense(2), csr(new int[] {0, 0, 0, 0, 0}, new int[0]))), floats(0)});
    // traversal order not a permutation, wrong length, block dimension first, block map out of range
    cases.add(new Object[] {new Sparsity(new int[] {0, 0}, new int[0], List.of(dense(2), dense(8))), floats(16)});
    cases.add(new Object[] {new Sparsity(new int[] {0}, new int[0], List.of(dense(2))), floats(2)});
    cases.add(new Object[] {new Sparsity(new int[] {2, 0, 1}, new int[] {1}, List.of(dense(4), dense(2), dense(2))), floats(16)});
    cases.add(new Object[] {new Sparsity(new int[] {0, 1, 2}, new int[] {5}, List.of(dense(2), dense(2), dense(4))), floats(16)});
    cases.add(new Object[] {new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(2))), floats(16)});
    for (Object[] c : cases) {
      Sparsity s = (Sparsity) c[0];
      ModelFormatException e = assertThrows(ModelFormatException.class,
          () -> Densifier.densify("tensor 7 'w'", TensorType.FLOAT32, shape, s, (ByteBuffer) c[1]), s.toString());
      assertTrue(e.getMessage().startsWith("tensor 7 'w'"), e.getMessage());
    }
  }

  @Property(tries = 300)
  void randomMetadataNeverThrowsAnythingButFormatErrors(@ForAll long seed) {
    Random r = new Random(seed);
    int rank = 1 + r.nextInt(3);
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) shape[i] = r.nextInt(5);
    int levels = rank + r.nextInt(2);
    int[] order = new int[levels], blockMap = new int[levels - rank];
    for (int i = 0; i < levels; i++) order[i] = r.nextInt(4) == 0 ? r.nextInt(levels + 1) - 1 : i;
    for (int i = 0; i < blockMap.length; i++) blockMap[i] = r.nextInt(rank + 1);
    List<Sparsity.Dimension> dims = new ArrayList<>();
    for (int i = 0; i < levels; i++) {
      if (r.nextBoolean()) {
        dims.add(dense(r.nextInt(6) - 1));
      } else {
        int[] seg = new int[r.nextInt(6)], idx = new int[r.nextInt(6)];
        for (int k = 0; k < seg.length; k++) seg[k] = r.nextInt(7) - 1;
        for (int k = 0; k < idx.length; k++) idx[k] = r.nextInt(7) - 1;
        dims.add(csr(seg, idx));
      }
    }
    try {
      Densifier.densify("t", TensorType.FLOAT32, shape, new Sparsity(order, blockMap, dims), floats(r.nextInt(8)));
    } catch (ModelFormatException expected) {
      // fine
    }
  }
}
