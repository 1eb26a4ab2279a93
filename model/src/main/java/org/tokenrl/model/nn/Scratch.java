package org.tokenrl.model.nn;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An ND4J workspace for the activations of one pass: every array a forward/backward pass creates
 * comes from one arena that is reused by the next pass, so a step neither mallocs nor waits for the
 * garbage collector to free native buffers, and nothing of a step outlives it. Weights, gradients,
 * optimizer moments and KV caches are created outside it.
 */
public final class Scratch {
  private static final WorkspaceConfiguration CONFIG =
      WorkspaceConfiguration.builder()
          .initialSize(0)
          .policyAllocation(AllocationPolicy.OVERALLOCATE)
          .overallocationLimit(0.2)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policyReset(ResetPolicy.BLOCK_LEFT)
          .policySpill(SpillPolicy.REALLOCATE)
          .build();

  private final String id;

  public Scratch(String id) {
    this.id = id;
  }

  /** Opens the arena on the calling thread; close the returned scope when the pass is done. */
  public MemoryWorkspace open() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, id);
  }

  /**
   * Frees the calling thread's arena (each thread has its own). The child arena of {@link #inChild}
   * is per thread and shared by all policies, so it stays for the thread's next pass.
   */
  public void release() {
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
      Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id).destroyWorkspace(true);
    }
  }

  private static final String CHILD = "tokenrl-layer-pass";

  /**
   * Runs one layer's share of a pass in a child arena and copies its result, shaped like {@code
   * resultLike}, into the enclosing arena: the layer's temporaries are gone before the next layer
   * starts, so a backward pass holds one layer's temporaries at a time instead of all of them until
   * the step ends.
   */
  public static INDArray inChild(INDArray resultLike, Supplier<INDArray> layerPass) {
    INDArray out = resultLike.ulike(); // in the enclosing arena
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, CHILD)) {
      out.assign(layerPass.get());
    }
    return out;
  }
}
