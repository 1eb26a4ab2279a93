package org.tokenrl.distributed;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.tokenrl.core.Rollout;
import org.tokenrl.core.RolloutBatch;
import org.tokenrl.model.Generation;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.io.BaseModel;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.rewards.RewardResult;
import org.tokenrl.rollout.PromptRequest;
import org.tokenrl.rollout.RowSeeds;

/**
 * What a rollout actor does, without Ray: holds a sampler, loads a weights version, samples a slice
 * of prompts and returns it as Arrow IPC bytes. {@link RolloutActor} is a thin Ray shell around it,
 * so the sampling path can be tested in-process.
 */
public final class RolloutWorker implements AutoCloseable {
  private final Policy sampler;
  private final ActorRewards rewards; // null: the trainer computes rewards
  // rollout.env: multi-turn rollouts, run here where the rollout runs (null: single-turn)
  private org.tokenrl.rollout.env.MultiTurnDriver multiTurn;
  private final BufferAllocator allocator = new RootAllocator();
  private long weightsVersion = Long.MIN_VALUE;

  /** A worker whose batches carry reward 0 (the trainer scores them). */
  public RolloutWorker(ModelSpec model) {
    this(model, null);
  }

  /** A worker that fills each batch's reward column with {@code rewards} (null: leaves it 0). */
  public RolloutWorker(ModelSpec model, ActorRewards rewards) {
    // The init seed does not matter: every version's weights are loaded before sampling.
    this(Policy.create(model, OptimizerConfig.defaults(0.0), 0), rewards);
  }

  /** A worker sampling with {@code sampler} (it owns it from now on). */
  RolloutWorker(Policy sampler, ActorRewards rewards) {
    this.sampler = sampler;
    this.rewards = rewards;
  }

  /**
   * The sampler an actor holds: the spec's model, with LoRA adapters when {@code loraJson} names
   * them, on the pretrained base {@code baseJson} names (read once here) when there is one.
   */
  static Policy sampler(ModelSpec model, String loraJson, String baseJson)
      throws java.io.IOException {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    LoraConfig lora =
        loraJson.isEmpty() ? LoraConfig.NONE : LoraConfig.fromJson(json.readTree(loraJson));
    BaseModel base = baseJson.isEmpty() ? null : BaseModel.fromJson(json.readTree(baseJson));
    OptimizerConfig none = OptimizerConfig.defaults(0.0);
    return base != null ? base.newPolicy(none, lora) : Policy.create(model, none, 0, lora);
  }

  /**
   * Runs rollouts turn by turn with {@code rollout.env} from {@code multiTurnJson} ({@link
   * #multiTurnJson}: the run config and the tokenizer), or single-turn when it is "".
   */
  RolloutWorker withMultiTurn(String multiTurnJson) {
    if (!multiTurnJson.isEmpty()) {
      try {
        com.fasterxml.jackson.databind.JsonNode node =
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(multiTurnJson);
        com.typesafe.config.Config config =
            com.typesafe.config.ConfigFactory.parseString(node.path("config").asText());
        org.tokenrl.core.Tokenizer tokenizer =
            org.tokenrl.core.Tokenizers.fromJson(node.path("tokenizer").asText());
        multiTurn = org.tokenrl.rollout.env.MultiTurn.driver(config, tokenizer);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("malformed multi-turn settings", e);
      }
    }
    return this;
  }

  /** What an actor needs to run {@code rollout.env}: the run config and the tokenizer; or "". */
  static String multiTurnJson(com.typesafe.config.Config config, org.tokenrl.core.Tokenizer tok) {
    if (!org.tokenrl.rollout.env.Environments.enabled(config)) {
      return "";
    }
    com.fasterxml.jackson.databind.node.ObjectNode node =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    node.put("config", config.root().render(com.typesafe.config.ConfigRenderOptions.concise()));
    node.put("tokenizer", tok.toJson());
    return node.toString();
  }

  /** The version of the weights held (Long.MIN_VALUE before the first load). */
  public long weightsVersion() {
    return weightsVersion;
  }

  /**
   * Loads {@code safetensors} (a safetensors file's bytes: every weight, or the LoRA adapters
   * alone) as {@code version}, unless that version is held already.
   */
  public void loadWeights(long version, byte[] safetensors) {
    if (version != weightsVersion) {
      try {
        sampler.importWeights(
            SafeTensors.fromBytes(safetensors, "weights version " + version).tensors());
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      weightsVersion = version;
    }
  }

  /**
   * Samples {@code request}'s prompts, {@code groupSize} rows each, row {@code (p, k)} seeded with
   * {@code RowSeeds.of(seed, p, k)} where p counts from the start of the whole batch. Returns the
   * rows (group-major) as an Arrow IPC stream, with rewards 0 as in the in-process pool, or scored
   * by this worker's {@link ActorRewards} when it has them (with the per-component scores).
   */
  public SliceResult generate(SliceRequest request) {
    int g = request.groupSize();
    int rows = request.prompts().size() * g;
    int[][] promptIds = new int[rows][];
    long[] seeds = new long[rows];
    for (int i = 0; i < request.prompts().size(); i++) {
      for (int k = 0; k < g; k++) {
        promptIds[i * g + k] = request.prompts().get(i).promptIds();
        seeds[i * g + k] = RowSeeds.of(request.seed(), request.firstPrompt() + i, k);
      }
    }
    if (multiTurn != null) {
      return multiTurn(request, seeds);
    }
    Generation gen = sampler.generate(promptIds, request.params(), seeds);
    List<Rollout> out = new ArrayList<>(rows);
    for (int row = 0; row < rows; row++) {
      PromptRequest prompt = request.prompts().get(row / g);
      out.add(
          new Rollout(
              prompt.exampleId(),
              request.firstPrompt() + row / g,
              prompt.promptIds(),
              gen.responses()[row],
              gen.logprobs()[row],
              gen.entropies()[row],
              gen.truncated()[row],
              prompt.reference(),
              0.0));
    }
    try (RolloutBatch batch = RolloutBatch.of(allocator, g, out)) {
      if (rewards == null) {
        return new SliceResult(batch.toIpcBytes(), Map.of(), 0);
      }
      RewardResult scored = rewards.scoreWithComponents(batch, request.firstPrompt() * g);
      batch.setRewards(scored.total());
      return new SliceResult(
          batch.toIpcBytes(), scored.components(), scored.errors(), scored.extraRows());
    }
  }

  /** {@link #generate} for multi-turn rollouts: the same rows the in-process pool builds. */
  private SliceResult multiTurn(SliceRequest request, long[] seeds) {
    int g = request.groupSize();
    List<PromptRequest> prompts = request.prompts();
    List<org.tokenrl.rollout.env.MultiTurnDriver.Request> rows = new ArrayList<>();
    for (int row = 0; row < seeds.length; row++) {
      org.tokenrl.rollout.env.MultiTurnDriver.Request local =
          org.tokenrl.rollout.MultiTurnRows.request(prompts, g, row, seeds[row]);
      org.tokenrl.rollout.env.EnvRow r = local.row();
      rows.add( // the row's index in the whole batch, as the in-process pool numbers it
          new org.tokenrl.rollout.env.MultiTurnDriver.Request(
              new org.tokenrl.rollout.env.EnvRow(
                  request.firstPrompt() * g + row,
                  r.exampleId(),
                  r.prompt(),
                  r.reference(),
                  r.messages(),
                  r.seed()),
              local.requestIds()));
    }
    List<org.tokenrl.rollout.env.MultiTurnRollout> done =
        multiTurn.run(rows, sampler::generate, request.params(), seeds);
    List<Rollout> out = new ArrayList<>(done.size());
    for (int row = 0; row < done.size(); row++) {
      out.add(
          org.tokenrl.rollout.MultiTurnRows.row(
              prompts.get(row / g), request.firstPrompt() + row / g, done.get(row)));
    }
    try (RolloutBatch batch = RolloutBatch.of(allocator, g, out)) {
      return new SliceResult(batch.toIpcBytes(), Map.of(), 0);
    }
  }

  @Override
  public void close() {
    if (multiTurn != null) {
      multiTurn.close();
    }
    sampler.close();
    allocator.close();
  }
}
