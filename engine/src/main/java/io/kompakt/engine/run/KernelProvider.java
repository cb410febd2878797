package io.kompakt.engine.run;

/**
 * Fills the kernel registry: found with {@link java.util.ServiceLoader}, so the engine does not know the
 * concrete kernels (the ops module provides them).
 */
public interface KernelProvider {
  void register(KernelRegistry registry);

  /** What these kernels run on, e.g. "Vector API, 512-bit float x16" (shown by bench and inspect --env). */
  default String describe() { return ""; }
}
