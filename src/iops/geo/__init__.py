"""Geography: force areas (districts, neighbourhoods, beats, statistical areas) and the gazetteer."""
