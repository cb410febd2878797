package io.kompakt.testdata;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds {@code ../shared} (real models, goldens, tools) through one setting: {@code -Dkompakt.shared}, which the
 * build sets to the folder beside the repository root. Tests that need it skip with {@link #SKIP_MESSAGE}
 * when it is absent, so a fresh clone still passes.
 */
public final class Shared {
  /** What a skipped test says. */
  public static final String SKIP_MESSAGE = "kompakt.shared folder not found (set -Dkompakt.shared=DIR): test skipped";

  private Shared() {}

  /** The shared folder, whether or not it exists. */
  public static Path dir() {
    String p = System.getProperty("kompakt.shared");
    if (p == null || p.isBlank()) p = System.getenv().getOrDefault("KOMPAKT_SHARED", "../shared");
    return Path.of(p).toAbsolutePath().normalize();
  }

  /** Whether the shared folder is there (it holds models/). */
  public static boolean available() { return Files.isDirectory(dir().resolve("models")); }

  /** A path inside the shared folder. */
  public static Path resolve(String relative) { return dir().resolve(relative); }
}
