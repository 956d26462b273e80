"""The decision on a question's answer, in the order it is taken: candidates -> features -> verifier.

`candidates` gathers every proposed span once (the span rules, the reader's top spans, the text's introductions of
people); `features` describes each as named numbers; `verifier` scores each as the probability that it is a right
answer, with each feature's share of that score, and the pipeline answers with the best one above the operating point.
"""
