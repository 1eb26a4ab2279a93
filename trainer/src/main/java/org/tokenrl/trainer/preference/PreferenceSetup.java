package org.tokenrl.trainer.preference;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.algorithms.preference.PreferenceAlgorithm;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.rollout.Task;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLog;
import org.tokenrl.trainer.setup.PromptCodec;

/** A preference run's pairs and held-out pairs, with what is computed once per dataset. */
public record PreferenceSetup(PreferenceData data, PreferenceEval eval) {

  /**
   * Builds the preference dataset with the policy as it is when the main phase starts (the
   * reference), or reloads it from the run directory's cache when resuming. Either way the run
   * trains on what the cache holds (float32), so a resumed run equals an uninterrupted one.
   */
  public static PreferenceSetup prepare(
      Config c,
      RunDirectory dir,
      Path projectRoot,
      PreferenceAlgorithm algorithm,
      Policy policy,
      Task task,
      PromptCodec codec,
      BufferAllocator allocator,
      RunLog log,
      long seed) {
    PreferenceCache cache = new PreferenceCache(dir.path().resolve("preference"), allocator);
    if (cache.exists()) {
      log.info("preference pairs: loaded from " + cache.directory());
    } else {
      PreferenceData data;
      try (RolloutPool pool = RolloutPools.create(new RolloutPoolContext(policy, c, allocator))) {
        data =
            new PreferenceDataBuilder(c, algorithm, task, codec, projectRoot, seed, log::info)
                .build(policy, pool);
      }
      PreferenceEval eval =
          PreferenceEval.build(task, codec, c.getInt("preference.eval_pairs"), seed, policy);
      cache.save(data, eval);
    }
    return new PreferenceSetup(cache.loadData(), cache.loadEval());
  }
}
