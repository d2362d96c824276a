# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Sphinx configuration for the collection's HTML docs. scripts/build-docs writes the RST
# pages with antsibull-docs and then runs sphinx-build with this directory as its -c.
# It follows the configuration that `antsibull-docs sphinx-init` writes, but without
# intersphinx, because the build runs offline and cannot fetch another site's inventory.

from docutils import nodes

project = "entra.governance"
project_copyright = "Contributors to the entra.governance collection"

html_title = "entra.governance collection documentation"
html_short_title = "entra.governance"

extensions = ["sphinx_antsibull_ext"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_domain_indices = False
html_use_index = False
html_copy_source = False
# Keep "--check" and quotes as written, because smart quotes would turn "--" into a dash.
smartquotes = False

default_role = "any"

# Warn about every reference that does not resolve. scripts/build-docs turns warnings into errors.
nitpicky = True

# Labels of the Ansible documentation that the pages antsibull-docs writes refer to, with
# their page and title on docs.ansible.com. Intersphinx would resolve them from the site's
# inventory, which an offline build cannot fetch, so resolve_ansible_docs_label() links
# them to these pages instead.
ANSIBLE_DOCS_URL = "https://docs.ansible.com/projects/ansible/latest/"
ANSIBLE_DOCS_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
}


def resolve_ansible_docs_label(_app, _env, node, contnode):
    """Link a :ref: to one of ANSIBLE_DOCS_LABELS to its page on docs.ansible.com.

    Sphinx calls this for every reference it cannot resolve. Returning None leaves the
    reference unresolved, so Sphinx still warns about every other missing label.
    """
    target = node.get("reftarget")
    if node.get("reftype") != "ref" or target not in ANSIBLE_DOCS_LABELS:
        return None

    path, label_title = ANSIBLE_DOCS_LABELS[target]
    reference = nodes.reference("", "", internal=False, refuri=ANSIBLE_DOCS_URL + path)
    if node.get("refexplicit"):
        reference += contnode
    else:
        reference += nodes.inline(label_title, label_title)
    return reference


def setup(app):
    app.connect("missing-reference", resolve_ansible_docs_label)
