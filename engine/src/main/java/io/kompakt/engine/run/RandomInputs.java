package io.kompakt.engine.run;

import java.util.SplittableRandom;

/**
 * Seeded random values for an interpreter's inputs, for timing runs ({@code kompakt bench}, the JMH benchmarks), so
 * that every tool times the same inputs for the same seed.
 */
public final class RandomInputs {
  private RandomInputs() {}

  /** Floats uniform in [-1, 1], integers uniform over their type. */
  public static void fill(Interpreter it, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < it.getInputTensorCount(); i++) {
      RuntimeTensor t = it.getInputTensor(i);
      for (int k = 0; k < t.size(); k++) {
        switch (RuntimeTensor.storage(t.type)) {
          case F32: t.f32[t.offset + k] = (float) (r.nextDouble() * 2 - 1); break;
          case I8: t.i8[t.offset + k] = (byte) r.nextInt(256); break;
          case I16: t.i16[t.offset + k] = (short) r.nextInt(65536); break;
          case I32: t.i32[t.offset + k] = r.nextInt(); break;
          case I64: t.i64[t.offset + k] = r.nextLong(); break;
          default: break;
        }
      }
    }
  }
}
