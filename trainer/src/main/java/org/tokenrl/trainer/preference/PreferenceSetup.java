package org.tokenrl.trainer.preference;

import org.apache.arrow.memory.BufferAllocator;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.RolloutPool;
import org.tokenrl.rollout.RolloutPoolContext;
import org.tokenrl.rollout.RolloutPools;
import org.tokenrl.runlog.RunDirectory;
import org.tokenrl.runlog.RunLog;
import org.tokenrl.trainer.setup.PromptCodec;
import org.tokenrl.trainer.setup.RunStart;

/** A preference run's pairs and held-out pairs, with what is computed once per dataset. */
public record PreferenceSetup(PreferenceData data, PreferenceEval eval) {

  /**
   * What {@link #prepare} works from.
   *
   * @param start the run's config, task and preference algorithm
   * @param dir the run directory, which holds the cache
   * @param policy the policy as the main phase starts: the reference
   * @param allocator Arrow memory of the pairs
   */
  public record Inputs(
      RunStart start,
      RunDirectory dir,
      Policy policy,
      PromptCodec codec,
      BufferAllocator allocator,
      RunLog log) {}

  /**
   * Builds the preference dataset with the policy as it is when the main phase starts (the
   * reference), or reloads it from the run directory's cache when resuming. Either way the run
   * trains on what the cache holds (float32), so a resumed run equals an uninterrupted one.
   */
  public static PreferenceSetup prepare(Inputs in) {
    RunStart start = in.start();
    long seed = start.spec().run().seed();
    PreferenceCache cache =
        new PreferenceCache(in.dir().path().resolve("preference"), in.allocator());
    if (cache.exists()) {
      in.log().info("preference pairs: loaded from " + cache.directory());
    } else {
      PreferenceData data;
      // The pool plugin takes the resolved config: its factory input (distributed.*, rollout.*).
      try (RolloutPool pool =
          RolloutPools.create(
              new RolloutPoolContext(in.policy(), start.resolved(), in.allocator()))) {
        data =
            new PreferenceDataBuilder(
                    start.spec(),
                    start.preference(),
                    start.task(),
                    in.codec(),
                    start.projectRoot(),
                    seed,
                    in.log()::info)
                .build(in.policy(), pool);
      }
      PreferenceEval eval =
          PreferenceEval.build(
              start.task(), in.codec(), start.spec().preference().evalPairs(), seed, in.policy());
      cache.save(data, eval);
    }
    return new PreferenceSetup(cache.loadData(), cache.loadEval());
  }
}
