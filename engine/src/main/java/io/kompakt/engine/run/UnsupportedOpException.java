package io.kompakt.engine.run;

/**
 * The interpreter cannot run an operator as the model uses it: no kernel for the op, or a type, option or
 * shape its kernel does not handle. Raised at prepare, naming the op, its index and the model.
 */
public class UnsupportedOpException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnsupportedOpException(String message) { super(message); }
}
