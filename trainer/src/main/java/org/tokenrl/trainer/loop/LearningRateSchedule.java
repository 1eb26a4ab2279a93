package org.tokenrl.trainer.loop;

/**
 * Linear warm-up to the peak, then constant or cosine decay to 10% of the peak at the last step.
 * Steps count from 1 within a phase.
 */
record LearningRateSchedule(double peak, int warmupSteps, int totalSteps, boolean cosine) {

  static LearningRateSchedule of(double peak, int warmup, int total, String kind) {
    return switch (kind) {
      case "constant" -> new LearningRateSchedule(peak, warmup, total, false);
      case "cosine" -> new LearningRateSchedule(peak, warmup, total, true);
      default ->
          throw new IllegalArgumentException(
              "trainer.lr_schedule must be constant or cosine, got '" + kind + "'");
    };
  }

  double at(long step) {
    if (warmupSteps > 0 && step <= warmupSteps) {
      return peak * step / warmupSteps;
    }
    if (!cosine || totalSteps <= warmupSteps) {
      return peak;
    }
    double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
    double floor = 0.1 * peak;
    return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
  }
}
