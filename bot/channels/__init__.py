"""Chat platforms (Slack, Microsoft Teams): each only translates to and from the one pipeline."""
