package io.kompakt.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SharedScratchTest {
  @Test
  void buffersGrowToTheLargestSizeAskedFor() {
    SharedScratch s = new SharedScratch();
    SharedScratch.Floats a = s.floats("a", 10);
    assertSame(a, s.floats("a", 100));
    assertEquals(100, a.array().length);
    s.floats("a", 5);
    assertEquals(100, a.array().length);
    assertEquals(400, s.bytes());
    assertThrows(IllegalArgumentException.class, () -> s.floats("b", -1));
  }

  @Test
  void aHandoffServesOnlyTheNextKernelAndOnlyForWhatWasOffered() {
    SharedScratch s = new SharedScratch();
    SharedScratch.Handoff h = new SharedScratch.Handoff();
    byte[] tensor = new byte[64], other = new byte[64];
    float[] values = s.floats("v", 64).array();
    assertFalse(h.offeredInVain());
    s.advance(); // the producer runs
    s.offer(h, tensor, 8, 32, -3, false, values);
    // not yet the next kernel
    assertFalse(s.take(tensor, 8, 32, -3, false, values));
    s.advance(); // the next kernel
    assertFalse(s.take(other, 8, 32, -3, false, values), "another array");
    assertFalse(s.take(tensor, 9, 32, -3, false, values), "another offset");
    assertFalse(s.take(tensor, 8, 33, -3, false, values), "more elements than offered");
    assertFalse(s.take(tensor, 8, 32, 0, false, values), "another zero point");
    assertFalse(s.take(tensor, 8, 32, -3, true, values), "uint8 instead of int8");
    assertFalse(s.take(tensor, 8, 32, -3, false, new float[64]), "another buffer");
    assertTrue(h.offeredInVain());
    assertTrue(s.take(tensor, 8, 16, -3, false, values), "a prefix of what was offered");
    assertFalse(h.offeredInVain());
    s.advance(); // a kernel after that one
    assertFalse(s.take(tensor, 8, 32, -3, false, values));
    // a new offer that nobody takes
    s.offer(h, tensor, 8, 32, -3, false, values);
    s.advance();
    s.advance();
    assertFalse(s.take(tensor, 8, 32, -3, false, values));
    assertTrue(h.offeredInVain());
  }
}
