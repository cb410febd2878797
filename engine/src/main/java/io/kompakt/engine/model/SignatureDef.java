package io.kompakt.engine.model;

import java.util.Map;

/**
 * A signature: named inputs and outputs of a subgraph (name to tensor index), as a SavedModel exported them.
 */
public record SignatureDef(String key, int subgraphIndex, Map<String, Integer> inputs, Map<String, Integer> outputs) {}
