"""Maps each room folder to ``actloop.<room>``.

The rooms sit at the repository root, but must install only under the ``actloop``
namespace: a top-level ``datasets`` would shadow Hugging Face ``datasets``. Listing
sub-packages by walking the folders keeps new sub-packages from being forgotten.
"""

from setuptools import find_packages, setup

ROOMS = ("control", "policies", "sim", "datasets", "hardware", "train", "eval", "cli")


def room_packages() -> tuple[list[str], dict[str, str]]:
    packages, package_dir = [], {}
    for room in ROOMS:
        for sub in ["", *find_packages(room)]:
            name = f"actloop.{room}" + (f".{sub}" if sub else "")
            packages.append(name)
            package_dir[name] = f"{room}/{sub.replace('.', '/')}".rstrip("/")
    return packages, package_dir


packages, package_dir = room_packages()
setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: ["*.json", "*.md"] for name in packages},
)
