"""The fitted rule weights: loaded from their data file, which must cover every feature."""

import json

import pytest

from qa.extractor import CALIBRATION, FEATURES, RULE_WEIGHTS_FILE, WEIGHTS, calibrated_score, load_rule_weights


def test_shipped_weights_cover_every_feature_and_calibrate_to_probabilities():
    assert set(WEIGHTS) == {"bias", *FEATURES}
    assert len(CALIBRATION) == 2
    assert 0.0 < calibrated_score(-10.0) < calibrated_score(0.0) < calibrated_score(10.0) < 1.0


def test_a_weights_file_missing_a_feature_is_refused_with_the_fix(tmp_path):
    fitted = json.loads(RULE_WEIGHTS_FILE.read_text(encoding="utf-8"))
    del fitted["weights"]["proximity"]
    path = tmp_path / "rule_weights.json"
    path.write_text(json.dumps(fitted), encoding="utf-8")
    with pytest.raises(ValueError, match="fit_rule_weights"):
        load_rule_weights(path)
