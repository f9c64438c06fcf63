"""`voxtune clone`: a person's own recordings to their voice, the best checkpoint measured."""
