"""The runner's moving parts, one job per module.

``batching``  length buckets of pending utterances
``codec``     encode + decode one padded batch through a tokenizer, isolating failures
``metrics``   loaded metrics, guarded scoring and the CPU worker pool
``corpus``    corpus summaries (ratios of sums) rebuilt from the store
"""
