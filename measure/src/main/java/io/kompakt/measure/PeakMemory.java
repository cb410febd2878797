package io.kompakt.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's peak resident memory (Linux: VmHWM of /proc/self/status), or -1 where the OS does not say. */
public final class PeakMemory {
  private PeakMemory() {}

  public static long peakRssBytes() {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) return -1;
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          String[] w = line.substring(6).trim().split("\\s+");
          return Long.parseLong(w[0]) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
