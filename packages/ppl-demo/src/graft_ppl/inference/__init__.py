"""Inference for graft-ppl models."""

from graft_ppl.inference.sampling import SamplingWarning, sample
