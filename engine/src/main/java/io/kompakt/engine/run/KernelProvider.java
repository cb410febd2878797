package io.kompakt.engine.run;

/**
 * Fills the kernel registry: found with {@link java.util.ServiceLoader}, so the engine does not know the
 * concrete kernels (the ops module provides them).
 */
public interface KernelProvider {
  void register(KernelRegistry registry);
}
