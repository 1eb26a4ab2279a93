package org.tokenrl.model;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An ND4J workspace for the activations of one pass: every array a forward/backward pass creates
 * comes from one arena that is reused by the next pass, so a step neither mallocs nor waits for the
 * garbage collector to free native buffers, and nothing of a step outlives it. Weights, gradients,
 * optimizer moments and KV caches are created outside it.
 */
final class Scratch {
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

  Scratch(String id) {
    this.id = id;
  }

  /** Opens the arena on the calling thread; close the returned scope when the pass is done. */
  MemoryWorkspace open() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, id);
  }

  /** Frees the calling thread's arena (each thread has its own). */
  void release() {
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
      Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id).destroyWorkspace(true);
    }
  }
}
