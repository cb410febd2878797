package io.kompakt.engine.run;

/**
 * A prepared operator: made once by a {@link KernelFactory} at prepare, run at every inference.
 * Runs allocate nothing; state that a run needs (repacked weights, multipliers, scratch) is made at prepare.
 */
@FunctionalInterface
public interface Kernel {
  void run();
}
