"""Images the Docker driver runs: built-in runtime images (debootstrap or the host's Python) and a
quick host-Python image builder used by tests and offline users."""

from fcbackend.images.hostfs import build_host_python_image
from fcbackend.images.runtime_images import (
    RECIPES,
    ImageBuildError,
    RuntimeRecipe,
    build_host_runtime_image,
    build_runtime_image,
    list_runtime_images,
    recipe_for_runtime,
    runtime_image_command,
)

__all__ = [
    "RECIPES",
    "ImageBuildError",
    "RuntimeRecipe",
    "build_host_python_image",
    "build_host_runtime_image",
    "build_runtime_image",
    "list_runtime_images",
    "recipe_for_runtime",
    "runtime_image_command",
]
