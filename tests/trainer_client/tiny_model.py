"""A tiny causal LM and char-level tokenizer built locally (no download), for GRPO tests.

The four format tags are single (non-special) tokens, so a tiny random model can learn to emit
them within a few dozen GRPO steps on CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["TAGS", "build_tiny_model"]

TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def build_tiny_model(path: Path, texts: Iterable[str], hidden_size: int = 32, seed: int = 0) -> Path:
    """Save a 2-layer Llama and its tokenizer (vocab: the characters of ``texts`` plus tags) to ``path``.

    Other characters become ``<unk>``; a small ``texts`` alphabet makes a small vocabulary, where a
    random model already emits the tags now and then, so GRPO has a signal from the first step.
    """
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    chars = sorted({c for t in texts for c in t})
    vocab = {tok: i for i, tok in enumerate(["<pad>", "<eos>", "<unk>", *chars])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_tokens(list(TAGS))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>", bos_token="<eos>"
    )
    tokenizer.chat_template = _CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
