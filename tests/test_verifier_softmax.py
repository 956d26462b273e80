"""The verifier's softmax fit on synthetic questions: it learns which candidate is right and when none is."""

import numpy as np

import pytest

from training.verifier import averaged_out_of_fold, fit_softmax, main, out_of_fold, shares


def _questions(rng, n):
    """Questions of 3 candidates each; feature 0 marks the right one, which an unanswerable question lacks."""
    rows, labels, groups, answerable = [], [], [], []
    for question in range(n):
        has = question % 3 != 0
        right = rng.integers(3) if has else -1
        for candidate in range(3):
            rows.append([2.0 * (candidate == right) + rng.normal(0, 0.3), rng.normal()])
            labels.append(int(candidate == right))
            groups.append(question)
            answerable.append(has)
    return np.array(rows), np.array(labels), np.array(groups), np.array(answerable)


def test_the_right_candidate_takes_the_largest_share_and_no_answer_the_rest():
    X, y, groups, answerable = _questions(np.random.default_rng(0), 300)
    means, scales, coef, intercept = fit_softmax(X, y, np.ones(len(y)), groups, answerable, l2=1.0)
    assert coef[0] > 1.0 and abs(coef[1]) < 0.3  # the marking feature counts, the noise does not

    X, y, groups, answerable = _questions(np.random.default_rng(1), 60)  # held out
    share = shares(X, groups, means, scales, coef, intercept)
    for question in np.unique(groups):
        rows = groups == question
        best = share[rows].max()
        assert share[rows].sum() < 1.0
        if answerable[rows][0]:
            assert y[rows][np.argmax(share[rows])] == 1 and best > 0.8
        else:
            assert best < 0.3


def test_an_answerable_question_without_a_right_candidate_is_left_out():
    X, y, groups, answerable = _questions(np.random.default_rng(0), 90)
    unlabelled = y.copy()
    unlabelled[groups == 1] = 0  # question 1 is answerable but none of its candidates is right
    a = fit_softmax(X, y, np.ones(len(y)), groups, answerable, l2=1.0)
    keep = groups != 1
    b = fit_softmax(X[keep], y[keep], np.ones(keep.sum()), groups[keep], answerable[keep], l2=1.0)
    c = fit_softmax(X, unlabelled, np.ones(len(y)), groups, answerable, l2=1.0)
    assert not np.allclose(a[2], c[2])
    assert np.allclose(b[2], c[2], atol=1e-5) and np.isclose(b[3], c[3], atol=1e-5)


def test_out_of_fold_shares_are_averaged_over_draws_of_the_folds():
    X, y, groups, answerable = _questions(np.random.default_rng(2), 60)
    weights = np.ones(len(y))
    draws = [out_of_fold(X, y, weights, groups, answerable, 1.0, seed) for seed in (5, 6, 7)]
    assert not np.allclose(draws[0], draws[1])  # another draw fits other models for some questions
    averaged = averaged_out_of_fold(X, y, weights, groups, answerable, 1.0, [5, 6, 7])
    assert np.allclose(averaged, np.mean(draws, axis=0))
    assert np.allclose(averaged_out_of_fold(X, y, weights, groups, answerable, 1.0, [5]), draws[0])


def test_fit_verifier_wants_at_least_one_draw_of_the_folds(capsys):
    with pytest.raises(SystemExit):
        main(["--fold-draws", "0"])
    assert "--fold-draws: expected at least 1" in capsys.readouterr().err
