package dev.d2o.datagen;

import dev.d2o.datagen.HarmlessGrammar.Action;
import java.util.List;
import java.util.Map;

/**
 * One exact reading of a response as a frame of the grammar.
 *
 * @param frameIndex the frame's position in the topic book (0-based)
 * @param frame the frame
 * @param fills what each slot the frame uses holds
 * @param asserted the actions the response recommends ({A}, {B}), in frame order
 * @param negated the actions it advises against ({N})
 */
public record Parse(
    int frameIndex,
    Template frame,
    Map<String, String> fills,
    List<Action> asserted,
    List<Action> negated) {}
