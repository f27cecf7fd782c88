package pave

// WebhooksService manages callback settings (/v1/callbacks). Get it from
// Client.Webhooks.
type WebhooksService struct {
	c *Client
}
