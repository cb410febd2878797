package io.kompakt.engine.model;

/**
 * A model file is malformed, truncated or hostile: the message names what is wrong and where
 * (byte offset, subgraph, operator, tensor). Thrown instead of any index, memory or buffer error.
 */
public class ModelFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) { super(message); }

  public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
