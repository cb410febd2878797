package io.kompakt.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed Java equals what regenerate.sh makes from ../shared/reference, wherever flatc and ../shared exist. */
class SchemaUpToDateTest {
  private static final Path MODULE = Path.of("").toAbsolutePath();

  private static boolean flatcAvailable() {
    try {
      Process p = new ProcessBuilder("flatc", "--version").redirectErrorStream(true).start();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @Test
  void committedCodeMatchesSchema(@TempDir Path out) throws Exception {
    String shared = System.getProperty("kompakt.shared", "../shared");
    Path schema = Path.of(shared, "reference", "tflite-schema-flatc2.fbs");
    assumeTrue(Files.exists(schema), "kompakt.shared folder not found (set -Dkompakt.shared=DIR): test skipped");
    assumeTrue(flatcAvailable(), "flatc not on the PATH (apt-get install flatbuffers-compiler): test skipped");
    Process p = new ProcessBuilder("bash", MODULE.resolve("regenerate.sh").toString(), out.toString())
        .redirectErrorStream(true).start();
    p.getInputStream().transferTo(System.out);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "regenerate.sh timed out");
    assertEquals(0, p.exitValue(), "regenerate.sh failed");
    Path committed = MODULE.resolve("src/main/java/io/kompakt/schema");
    for (String pkg : List.of("tflite", "metadata")) {
      List<String> expected = list(out.resolve("io/kompakt/schema").resolve(pkg));
      List<String> actual = list(committed.resolve(pkg));
      assertEquals(expected, actual, "generated files of " + pkg + " differ in name: run flatbuffer-schema/regenerate.sh");
      for (String f : expected) {
        assertEquals(Files.readString(out.resolve("io/kompakt/schema").resolve(pkg).resolve(f)),
            Files.readString(committed.resolve(pkg).resolve(f)), f + " is out of date: run flatbuffer-schema/regenerate.sh");
      }
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(x -> x.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }
}
