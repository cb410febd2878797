package io.kompakt.engine.run;

/**
 * Prepares one operator: checks its inputs' types and shapes and its options, sets its outputs' shapes,
 * computes what its runs need, and returns the kernel. Throws {@link UnsupportedOpException} for any
 * type, option or shape it does not handle, with a message naming what.
 */
@FunctionalInterface
public interface KernelFactory {
  Kernel prepare(OpContext op);
}
