"""Form validators, one module per form of domain.yml (rasa-sdk FormValidationAction)."""
