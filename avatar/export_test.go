package avatar

// Metadata and ParseData expose the writer of metadata and the reader of
// data to the fuzz targets.
var (
	MetadataNode = metadata
	ParseData    = parseData
)
