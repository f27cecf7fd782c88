package pave

// HotspotsService is the Hotspots API (/v1/hotspots). Get it from
// Client.Hotspots.
type HotspotsService struct {
	c *Client
}
