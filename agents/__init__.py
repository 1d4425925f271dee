"""LLM backends, prompts, reply extraction and (later) the PREFACE prompt-repair agent."""
