package io.kompakt.engine.model;

import java.util.List;

/** Reads what users need from a TFLite Metadata table (ModelMetadata): label files and input normalization. */
public final class MetadataView {
  private MetadataView() {}

  /** The name of the first TENSOR_AXIS_LABELS (or TENSOR_VALUE_LABELS) file of an output tensor, or null. */
  public static String firstLabelFile(FlatTable modelMetadata) {
    for (FlatTable sg : tables(modelMetadata, "subgraph_metadata")) {
      for (FlatTable t : tables(sg, "output_tensor_metadata")) {
        for (FlatTable f : tables(t, "associated_files")) {
          String type = f.getEnumName("type");
          if (type.equals("TENSOR_AXIS_LABELS") || type.equals("TENSOR_VALUE_LABELS")) return (String) f.get("name");
        }
      }
    }
    return null;
  }

  /**
   * The mean and std of the first input's NormalizationOptions ({@code (x - mean) / std}), or null.
   * Returns {@code {means..., stds...}} split by the caller as two halves.
   */
  public static double[][] inputNormalization(FlatTable modelMetadata) {
    for (FlatTable sg : tables(modelMetadata, "subgraph_metadata")) {
      for (FlatTable t : tables(sg, "input_tensor_metadata")) {
        for (FlatTable pu : tables(t, "process_units")) {
          Object o = pu.get("options");
          if (o instanceof FlatTable && ((FlatTable) o).typeName().equals("NormalizationOptions")) {
            FlatTable n = (FlatTable) o;
            double[] mean = (double[]) n.get("mean"), std = (double[]) n.get("std");
            if (mean != null && std != null) return new double[][] {mean, std};
          }
        }
        return null;
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  static List<FlatTable> tables(FlatTable t, String field) {
    Object v = t.get(field);
    return v == null ? List.of() : (List<FlatTable>) v;
  }
}
