package org.tokenrl.model;

/**
 * Result of one {@link Policy#update} call.
 *
 * @param loss surrogate loss value (NaN when it could not be computed)
 * @param gradNorm global L2 norm of the gradient before clipping
 * @param skipped true when the update was not applied (weights and optimizer state untouched)
 * @param skipReason why it was skipped, or the empty string
 */
public record UpdateStats(double loss, double gradNorm, boolean skipped, String skipReason) {}
