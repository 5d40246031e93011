package consumer

// MapGeneration counts the mappings made so far. A Frame taken under one generation
// refers to memory that a later mapping (remap, or unmap and map again for the same
// epoch) released, so keep it only while the generation is unchanged and Mapped is true.
func (c *Consumer) MapGeneration() uint64 { return c.counters.Remaps }
