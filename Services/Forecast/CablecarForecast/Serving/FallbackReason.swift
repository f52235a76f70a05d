/// Why the historical average answered instead of the model (`fallback_reason` of a
/// prediction, and the `reason` dimension of `cablecar_forecast_fallbacks_total`).
public enum FallbackReason: String, Codable, Sendable, CaseIterable {
    /// The feature store has no vector for the segment.
    case featuresMissing = "features_missing"
    /// The segment's newest vector is older than CABLECAR_FORECAST_FEATURE_MAX_AGE_S.
    case featuresStale = "features_stale"
    /// The feature store could not be asked (down, refused, answered garbage).
    case featuresUnavailable = "features_unavailable"
    /// The model returned nothing (or a non-finite number) for this segment, horizon and target.
    case modelFailed = "model_failed"
}
