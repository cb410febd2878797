package io.kompakt.engine.run;

import io.kompakt.engine.model.OpCode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Op name (TFLite builtin name, or custom op name) to the factory that prepares it. */
public final class KernelRegistry {
  private final Map<String, KernelFactory> factories = new LinkedHashMap<>();
  private final java.util.List<KernelProvider> providers = new java.util.ArrayList<>();

  /**
   * What the registered kernels run on (their providers' descriptions, asked now: a fast path may have been switched
   * since), or "" if none says.
   */
  public String description() {
    java.util.List<String> d = new java.util.ArrayList<>();
    for (KernelProvider p : providers) {
      String s = p.describe();
      if (!s.isEmpty()) d.add(s);
    }
    return String.join("; ", d);
  }

  /** Registers a factory for a builtin name (e.g. "CONV_2D") or a custom op name. */
  public void register(String opName, KernelFactory factory) {
    factories.put(opName, factory);
  }

  /** The factory for an op code, or null. */
  public KernelFactory lookup(OpCode code) {
    return factories.get(code.name());
  }

  /** Whether Kompakt has a kernel for this op (some types or options may still be refused at prepare). */
  public boolean supports(OpCode code) { return lookup(code) != null; }

  /** The op names with kernels, sorted. */
  public java.util.Set<String> opNames() { return Collections.unmodifiableSet(new TreeSet<>(factories.keySet())); }

  private static volatile KernelRegistry defaultRegistry;

  /** The registry filled by every {@link KernelProvider} on the class path. */
  public static KernelRegistry defaults() {
    KernelRegistry r = defaultRegistry;
    if (r == null) {
      synchronized (KernelRegistry.class) {
        r = defaultRegistry;
        if (r == null) {
          r = new KernelRegistry();
          for (KernelProvider p : ServiceLoader.load(KernelProvider.class, KernelRegistry.class.getClassLoader())) {
            p.register(r);
            r.providers.add(p);
          }
          defaultRegistry = r;
        }
      }
    }
    return r;
  }
}
