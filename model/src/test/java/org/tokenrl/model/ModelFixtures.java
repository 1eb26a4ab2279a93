package org.tokenrl.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tokenrl.core.PythonRunner;

/** Runs src/test/python/gguf_fixtures.py (the real gguf/safetensors packages) into a directory. */
public final class ModelFixtures {
  private ModelFixtures() {}

  public static Path make(String kind, Path dir) throws Exception {
    Files.createDirectories(dir);
    String script = Files.readString(Path.of("src/test/python/gguf_fixtures.py"));
    PythonRunner.run(script, kind, dir.toString());
    return dir;
  }

  public static float[] floats(Path file) throws Exception {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[b.remaining() / 4];
    b.asFloatBuffer().get(f);
    return f;
  }
}
