"""One router per audience: consumers, merchants, analysts; plus sign-in and system routes."""
